"""The HTML report of an experiment: one self-contained file, readable in any browser.

:func:`write_html_report` reads an experiment directory as
:func:`compare.pipeline.runner.run_experiment` writes it and writes ``report.html`` next to
``report.md``. The page holds the same sections as the Markdown report, built by the
same builders (:mod:`compare.report.markdown`) from the files on disk: a summary of which model
does best on what, results, accuracy over seeds, energy per inference under each cost
table, paired statistics, confusion matrices and receptive fields; and, beyond the
Markdown twin, every figure in ``figures/``, the cost tables' values and sources, the
resolved configuration, the task and the environment.

Self-contained: figures are embedded as base64 PNG, the CSS is inline, and there are
no scripts and no external resources (a Content-Security-Policy forbids loading any).
Every string that comes from the data is HTML-escaped.

>>> render_inline("**mlp, `a<b*`**: *ok*")
'<strong>mlp, <code>a&lt;b*</code></strong>: <em>ok</em>'
"""

from __future__ import annotations

import base64
import csv
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from compare.files import atomic_write_text
from compare.measure.energy import CostTable
from compare.measure.tidy import read_tidy_csv
from compare.report.markdown import Figure, Section, Table, report_sections, task_paragraph
from compare.tables import format_cell

__all__ = [
    "ResultsDirectory",
    "build_sections",
    "cost_tables_section",
    "read_results",
    "render_html",
    "render_inline",
    "write_html_report",
]

_CONFIG_FILES = ("config.json", "spec.json")
"""The resolved configuration: ``config.json`` (older runs) or the runner's ``spec.json``."""

_SUMMARY_COLUMNS = (
    "model",
    "arm",
    "seeds",
    "accuracy_mean",
    "accuracy_sd",
    "accuracy_ci95_halfwidth",
    "accuracy_ci95_low",
    "accuracy_ci95_high",
    "accuracy_bootstrap95_low",
    "accuracy_bootstrap95_high",
    "macro_f1_mean",
    "fit_wall_time_s",
    "predict_time_per_example_s",
    "parameter_count",
    "activations_per_example",
    "effective_macs_per_example",
    "effective_acs_per_example",
)
"""Columns of ``summary.csv`` the report reads."""

_TEXT_COLUMNS = {"model", "arm", "kind", "experiment", "task", "metric", "unit", "job"}


@dataclass(frozen=True)
class ResultsDirectory:
    """What an experiment directory holds, read back from its files."""

    path: Path
    name: str
    """The experiment's name (from its configuration)."""
    config: dict
    """The resolved configuration (``config.json`` or ``spec.json``)."""
    config_file: str
    environment: dict
    """``environment.json``: versions, git commit, Brian2 device, machine."""
    task: dict | None
    """``task.json`` (:meth:`compare.data.tasks.Task.describe`), None where absent."""
    rows: list[dict]
    """``results.csv``: tidy rows in the present form, ``value`` as float, ``seed`` and
    the whole-number columns as int, empty cells None
    (:func:`compare.measure.tidy.read_tidy_csv`; older runs' rows translated)."""
    summary: list[dict]
    """``summary.csv``: one row per model, numbers as numbers."""
    tables: list[CostTable]
    """``energy_tables.json``: the cost tables the energy metrics used."""
    figures: list[str]
    """Stems of the PNG figures in ``figures/``, sorted."""

    @property
    def models(self) -> dict[str, str]:
        """Model label -> arm, in the summary's order."""
        return {s["model"]: s["arm"] for s in self.summary}

    @property
    def seeds(self) -> list:
        """The seeds of the results, in the configuration's order where it has them."""
        found = list(dict.fromkeys(row["seed"] for row in self.rows))
        order = self.config.get("seeds") or []
        return [s for s in order if s in found] + [s for s in found if s not in order]


def _number(text: str):
    """A CSV cell as int, float or (failing both) the text itself."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON: {err}") from None


def read_results(results_dir: str | Path, *, sweeps: bool = False) -> ResultsDirectory:
    """Read an experiment directory (as :mod:`compare.pipeline.runner` writes it).

    ``sweeps=True`` also reads the top directory of a spec run with sweeps, whose
    ``summary.csv`` has a row per point x model (the report needs one point's
    directory: ``points/pNN/`` holds its summary, the top directory the tidy rows).

    Raises
    ------
    FileNotFoundError
        Where the directory or one of the files the report needs is missing (the
        message names it).
    ValueError
        Where a file is malformed, or ``summary.csv`` has several rows for a model (an
        overview of sweep points: report one point's directory instead) and ``sweeps``
        is False.
    """
    path = Path(results_dir)
    if not path.is_dir():
        raise FileNotFoundError(f"results directory {path} does not exist")
    needed = ("results.csv", "summary.csv", "environment.json", "energy_tables.json")
    missing = [name for name in needed if not (path / name).is_file()]
    config_file = next((n for n in _CONFIG_FILES if (path / n).is_file()), None)
    if config_file is None:
        missing.append(" or ".join(_CONFIG_FILES))
    if missing:
        raise FileNotFoundError(
            f"{path} lacks {', '.join(missing)}: not an experiment directory as "
            "compare.pipeline.runner.run_experiment writes it"
        )

    rows = read_tidy_csv(path / "results.csv")
    summary = [
        {k: v if k in _TEXT_COLUMNS else _number(v) for k, v in row.items()}
        for row in _read_csv(path / "summary.csv")
    ]
    if not summary:
        raise ValueError(f"{path / 'summary.csv'} has no rows")
    absent = [c for c in _SUMMARY_COLUMNS if c not in summary[0]]
    if absent:
        raise ValueError(f"{path / 'summary.csv'} lacks the columns {', '.join(absent)}")
    labels = [s["model"] for s in summary]
    repeated = sorted({m for m in labels if labels.count(m) > 1})
    if repeated and not sweeps:
        raise ValueError(
            f"{path / 'summary.csv'} has several rows for {', '.join(repeated)}: the "
            "overview of a sweep; make the report of one point's directory"
        )
    config = _read_json(path / config_file)
    task_path = path / "task.json"
    fig_dir = path / "figures"
    return ResultsDirectory(
        path=path,
        name=str(config.get("name", path.name)),
        config=config,
        config_file=config_file,
        environment=_read_json(path / "environment.json"),
        task=_read_json(task_path) if task_path.is_file() else None,
        rows=rows,
        summary=summary,
        tables=[CostTable.from_dict(t) for t in _read_json(path / "energy_tables.json")],
        figures=sorted(p.stem for p in fig_dir.glob("*.png")) if fig_dir.is_dir() else [],
    )


# --- sections only the HTML report has ----------------------------------------------


def _pj(value) -> str:
    return "–" if value is None else f"{value:g} pJ"


def _bytes(n: int) -> str:
    return f"{n // 1024**2} MB" if n >= 1024**2 else f"{n // 1024} KB"


def cost_tables_section(tables: Sequence[CostTable]) -> Section:
    """Every value of the cost tables used, with the source of each table."""
    rows = [
        {
            "table": t.label,
            "mac": _pj(t.mac_pj),
            "ac": _pj(t.ac_pj),
            "neuron": _pj(t.neuron_update_pj),
            "bits": "–" if t.operand_bits is None else t.operand_bits,
            "sram": "; ".join(f"{_bytes(c)}: {_pj(pj)}" for c, pj in t.sram_read_pj) or "–",
            "dram": _pj(t.dram_read_pj),
            "included": "yes" if t.memory_in_operation_costs else "no",
            "source": t.source,
        }
        for t in tables
    ]
    table = Table(
        columns=(
            ("table", "cost table"),
            ("mac", "MAC"),
            ("ac", "AC (synaptic event)"),
            ("neuron", "neuron update"),
            ("bits", "operand bits"),
            ("sram", "SRAM read (per 64-bit access)"),
            ("dram", "DRAM read"),
            ("included", "memory in op costs"),
            ("source", "source"),
        ),
        rows=tuple(rows),
        code=frozenset({"table"}),
    )
    return Section(
        "Cost tables",
        (
            table,
            "Every value as recorded in `energy_tables.json` (pJ per operation or per "
            "access); what each table assumes is listed under *Energy per inference*.",
        ),
    )


def _flatten(value, prefix="") -> list[tuple[str, str]]:
    """Nested dicts -> (dotted key, text) pairs; lists as JSON."""
    if isinstance(value, Mapping):
        pairs = []
        for key, item in value.items():
            pairs += _flatten(item, f"{prefix}.{key}" if prefix else str(key))
        return pairs
    if isinstance(value, list):
        return [(prefix, json.dumps(value))]
    return [(prefix, "–" if value is None else str(value))]


def _key_value_section(title: str, data: Mapping, intro: str) -> Section:
    rows = tuple({"key": k, "value": v} for k, v in _flatten(data))
    return Section(
        title, (intro, Table((("key", "key"), ("value", "value")), rows, frozenset({"key"})))
    )


# --- rendering ----------------------------------------------------------------------


def render_inline(text: str) -> str:
    """A paragraph's inline Markdown as HTML: ```code```, ``**strong**``, ``*em*``.

    Everything is escaped first, so text from the data never becomes markup; code spans
    are set aside before the emphasis is read, so ``*`` inside code stays literal.
    """
    spans = []

    def aside(match):
        spans.append(f"<code>{escape(match.group(1))}</code>")
        return f"\x00{len(spans) - 1}\x00"

    text = escape(re.sub(r"`([^`]*)`", aside, text.replace("\x00", "")))
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", text)
    return re.sub(r"\x00(\d+)\x00", lambda m: spans[int(m.group(1))], text)


def _cell(value, code: bool) -> str:
    text = escape(format_cell(value))
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    if code:
        text = f"<code>{text}</code>"
    return f'<td class="num">{text}</td>' if numeric else f"<td>{text}</td>"


def _render_table(table: Table) -> str:
    head = "".join(f"<th>{escape(header)}</th>" for _, header in table.columns)
    body = "\n".join(
        "<tr>" + "".join(_cell(row[key], key in table.code) for key, _ in table.columns) + "</tr>"
        for row in table.rows
    )
    return (
        f'<div class="table"><table>\n<thead><tr>{head}</tr></thead>\n'
        f"<tbody>\n{body}\n</tbody>\n</table></div>"
    )


def _render_figure(figure: Figure, root: Path) -> str:
    path = root / figure.path
    if not path.is_file():
        raise FileNotFoundError(f"the report shows {figure.path}, but {path} does not exist")
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{escape(figure.alt)}">'
        f"<figcaption>{escape(figure.path)}</figcaption></figure>"
    )


@dataclass(frozen=True)
class _PreBlock:
    """Preformatted text (the configuration as JSON): a block only the HTML page has."""

    text: str


def _render_block(block, root: Path) -> str:
    if isinstance(block, _PreBlock):
        return f"<pre>{escape(block.text)}</pre>"
    if isinstance(block, Table):
        return _render_table(block)
    if isinstance(block, Figure):
        return _render_figure(block, root)
    if isinstance(block, tuple):
        return "<ul>\n" + "\n".join(f"<li>{render_inline(i)}</li>" for i in block) + "\n</ul>"
    if isinstance(block, str):
        return f"<p>{render_inline(block)}</p>"
    raise TypeError(f"unknown report block {type(block).__name__}: {block!r}")


_CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       font-size: 15px; line-height: 1.5; color: #1d2330; background: #fff;
       max-width: 1120px; margin: 0 auto; padding: 24px 32px 64px; }
h1 { font-size: 1.8em; margin: 0.2em 0 0.3em; }
h2 { font-size: 1.3em; margin-top: 2em; padding-bottom: 0.2em;
     border-bottom: 2px solid #e3e7ef; }
p, li { max-width: 80ch; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.9em;
       background: #f1f3f7; padding: 0.05em 0.3em; border-radius: 3px; }
pre { background: #f6f8fb; border: 1px solid #e3e7ef; border-radius: 4px; padding: 12px;
      overflow-x: auto; font-size: 0.85em; }
nav { background: #f6f8fb; border: 1px solid #e3e7ef; border-radius: 4px;
      padding: 8px 16px; margin: 16px 0; }
nav ol { margin: 0.3em 0; padding-left: 1.4em; columns: 2; }
a { color: #2c6fbb; }
div.table { overflow-x: auto; margin: 12px 0; }
table { border-collapse: collapse; font-size: 0.88em; }
th, td { border: 1px solid #d9dee8; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #eef1f6; }
tbody tr:nth-child(even) { background: #fafbfd; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 16px 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #e3e7ef; }
figcaption { font-size: 0.8em; color: #5a6272; }
footer { margin-top: 3em; font-size: 0.85em; color: #5a6272; }
"""

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
"""Content-Security-Policy of the page: nothing may load but its own data: images and
inline CSS; no scripts at all."""


def render_html(
    title: str, intro: Sequence, sections: Sequence[Section], root: Path, footer: str
) -> str:
    """The whole page: ``intro`` blocks under the title, a table of contents, the sections.

    ``root`` is the results directory that :class:`Figure` paths are relative to;
    ``footer`` a line of inline Markdown.
    """
    anchors, body = set(), []
    toc = []
    for section in sections:
        anchor, k = section.anchor, 2
        while anchor in anchors:  # two sections with the same title
            anchor, k = f"{section.anchor}-{k}", k + 1
        anchors.add(anchor)
        toc.append(f'<li><a href="#{anchor}">{escape(section.title)}</a></li>')
        blocks = "\n".join(_render_block(block, root) for block in section.blocks)
        body.append(
            f'<section id="{anchor}">\n<h2>{escape(section.title)}</h2>\n{blocks}\n</section>'
        )
    intro_html = "\n".join(_render_block(block, root) for block in intro)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · spikearena report</title>
<style>{_CSS}</style>
</head>
<body>
<header>
<h1>{escape(title)}</h1>
{intro_html}
</header>
<nav><strong>Contents</strong><ol>
{chr(10).join(toc)}
</ol></nav>
{chr(10).join(body)}
<footer><p>{render_inline(footer)}</p></footer>
</body>
</html>
"""


def build_sections(results: ResultsDirectory) -> tuple[list, list[Section]]:
    """The page's intro blocks and sections for ``results`` (see the module docstring)."""
    seeds = results.seeds
    models = results.models
    intro = []
    if results.task is not None:
        intro.append(task_paragraph(results.task))
    intro.append(
        f"Seeds: {', '.join(map(str, seeds))}. Models: "
        + ", ".join(f"{m} ({arm})" for m, arm in models.items())
        + "."
    )

    n_test = (results.task or {}).get("n_test")
    n_operations = results.config.get("operations_examples") or n_test
    if n_operations is not None and n_test is not None:
        n_operations = min(n_operations, n_test)
    energy_figure = "figures/accuracy_vs_energy.png"
    sections = report_sections(
        results.summary,
        results.rows,
        models,
        results.tables,
        seeds=seeds,
        n_operations=n_operations,
        energy_figure=energy_figure if "accuracy_vs_energy" in results.figures else None,
        figures=results.figures,
    )
    shown = {
        block.path for section in sections for block in section.blocks if isinstance(block, Figure)
    }
    more = [
        Figure(f"figures/{stem}.png", stem)
        for stem in results.figures
        if f"figures/{stem}.png" not in shown
    ]
    if more:
        sections.append(Section("More figures", tuple(more)))
    sections.append(cost_tables_section(results.tables))
    sections.append(
        Section(
            "Configuration",
            (
                f"The resolved configuration, as recorded in `{results.config_file}`:",
                _PreBlock(json.dumps(results.config, indent=2, sort_keys=True)),
            ),
        )
    )
    if results.task is not None:
        sections.append(
            _key_value_section(
                "Task", results.task, "The data, as recorded in `task.json` (`Task.describe`):"
            )
        )
    sections.append(
        _key_value_section(
            "Environment",
            results.environment,
            "Where and with what the results were made (`environment.json`): versions, git "
            "commit, the Brian2 backend, device and code-generation target, the machine.",
        )
    )
    return intro, sections


def write_html_report(results_dir: str | Path) -> Path:
    """Write ``report.html`` into an experiment directory; return its path.

    The directory is read with :func:`read_results` (e.g. ``results/quickstart`` after
    ``spikearena run quickstart``); the page is self-contained (see the module
    docstring) and is written atomically, replacing an earlier ``report.html``.
    """
    results = read_results(results_dir)
    intro, sections = build_sections(results)
    version = results.environment.get("versions", {}).get("spikearena", "")
    footer = (
        f"Written by spikearena {version} (`compare/report/html.py`) from the directory "
        f"`{results.path.name}`; its Markdown twin is `report.md`, the tidy data "
        "`results.csv`. Energies are estimates from published per-operation costs, not "
        "measurements."
    )
    page = render_html(results.name, intro, sections, results.path, footer)
    path = results.path / "report.html"
    atomic_write_text(path, page)
    return path

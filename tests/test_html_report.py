"""compare.report.html: report.html of a real (tiny) experiment, read as HTML and in a browser.

The experiment is two torch models (MLP, logistic regression) x two seeds on a digits
subset, so that every section appears (paired statistics need 2 models and 2 seeds).
The browser test loads the page in Debian's headless ``chromium`` and is skipped, with
the reason, where no chromium binary is installed.
"""

import base64
import csv
import html
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

from compare.models.registry import ModelSpec
from compare.pipeline.runner import run_experiment
from compare.pipeline.spec import ExperimentConfig, TaskSpec
from compare.report.html import read_results, write_html_report

CONFIG = ExperimentConfig(
    name="html-check",
    models=(
        ModelSpec("mlp", "mlp", {"hidden_sizes": (8,), "epochs": 2}),
        ModelSpec("logreg", "logistic", {"epochs": 2}),
    ),
    task=TaskSpec("digits", n_train=60, n_test=30),
    seeds=(0, 1),
    operations_examples=10,
)

SECTIONS = [
    "Summary",
    "Results",
    "Accuracy over seeds",
    "All metrics",
    "Energy per inference (estimates)",
    "Paired statistics",
    "Confusion matrices (seed 0)",
    "Cost tables",
    "Configuration",
    "Task",
    "Environment",
]
"""The sections of this experiment's page, in order (no receptive fields: the torch
models have no ``weights_`` of input shape)."""

TABLES = 8
"""Results, accuracy over seeds, all metrics, energy, paired statistics, cost tables, task,
environment."""

PNG = "data:image/png;base64,"


class Page(HTMLParser):
    """What a test needs of a page: tags with attributes, headings, tables, text."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags, self.ids, self.headings, self.tables, self.text = [], set(), [], [], []
        self._table = self._cell = self._heading = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "table":
            self._table = []
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []
        elif tag == "h2":
            self._heading = []

    def handle_endtag(self, tag):
        if tag == "table":
            self.tables.append(self._table)
            self._table = None
        elif tag in ("td", "th") and self._cell is not None:
            self._table[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "h2":
            self.headings.append("".join(self._heading).strip())
            self._heading = None

    def handle_data(self, data):
        self.text.append(data)
        for part in (self._cell, self._heading):
            if part is not None:
                part.append(data)

    def attributes(self, name):
        return [(tag, attrs[name]) for tag, attrs in self.tags if name in attrs]


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    """The experiment directory, with report.md and report.html written."""
    out = tmp_path_factory.mktemp("html") / "html-check"
    run_experiment(CONFIG, out, progress=False)
    path = write_html_report(out)
    assert path == out / "report.html"
    return out


def _markdown_tables(text: str) -> list[list[list[str]]]:
    """Each Markdown table of ``text`` as rows of cells (the rule line dropped)."""
    tables, current = [], None
    for line in text.splitlines():
        if line.startswith("|"):
            if current is None:
                current = []
                tables.append(current)
            if not re.fullmatch(r"\|(---\|)+", line):
                cells = [c.strip().replace("`", "") for c in line.strip("|").split(" | ")]
                current.append(cells)
        else:
            current = None
    return tables


def test_page_embeds_every_figure_and_every_table_and_loads_nothing(experiment):
    text = (experiment / "report.html").read_text(encoding="utf-8")
    page = Page(text)
    assert page.headings == SECTIONS
    assert len(page.tables) == TABLES
    # every PNG of figures/ is embedded exactly once, byte for byte
    pngs = sorted((experiment / "figures").glob("*.png"))
    assert {p.stem for p in pngs} == {"accuracy", "accuracy_vs_energy", "confusion"}
    sources = [src for tag, src in page.attributes("src")]
    assert all(tag == "img" for tag, _ in page.attributes("src"))
    assert all(src.startswith(PNG) for src in sources)
    embedded = sorted(base64.b64decode(src[len(PNG) :]) for src in sources)
    assert embedded == sorted(p.read_bytes() for p in pngs)
    # self-contained: no scripts or external resources, links only within the page
    names = {tag for tag, _ in page.tags}
    assert not names & {"script", "link", "iframe", "object", "embed", "base"}
    links = [href for _, href in page.attributes("href")]
    assert links and all(href.startswith("#") and href[1:] in page.ids for href in links)
    assert not re.search(r"url\(|@import", text)
    [policy] = [
        a["content"] for tag, a in page.tags if a.get("http-equiv") == "Content-Security-Policy"
    ]
    assert "default-src 'none'" in policy and "script" not in policy


def test_tables_are_those_of_the_markdown_twin(experiment):
    """Results, accuracy, all metrics, energy and paired statistics: the same cells in both."""
    page = Page((experiment / "report.html").read_text(encoding="utf-8"))
    markdown = _markdown_tables((experiment / "report.md").read_text(encoding="utf-8"))
    assert len(markdown) == 5
    assert page.tables[:5] == markdown
    # every metric of every model, e.g. the peak memory, in MB
    assert ["peak_rss", "MB"] in [row[:2] for row in page.tables[2]]
    # the paired statistics compare both models on accuracy over the 2 seeds
    assert ["mlp", "logreg", "accuracy (1)", "2"] == page.tables[4][1][:4]


def test_summary_names_the_winners_with_their_numbers(experiment):
    results = read_results(experiment)
    text = " ".join("".join(Page((experiment / "report.html").read_text()).text).split())
    best = max(results.summary, key=lambda s: s["accuracy_mean"])
    assert f"Highest test accuracy: {best['model']}, {100 * best['accuracy_mean']:.1f} %" in text
    for table in ("horowitz-45nm-fp32@1", "horowitz-45nm-int8@1"):
        energy = {}
        for row in results.rows:
            if (row["metric"], row["cost_table"]) == ("energy_compute_only", table):
                energy.setdefault(row["model"], []).append(row["value"])
        lowest = min(energy, key=lambda m: np.mean(energy[m]))
        assert f"Lowest energy per inference, {table}: compute only: {lowest}," in text
    fastest = min(results.summary, key=lambda s: s["fit_wall_time_s"])["model"]
    assert f"Fastest training (fit, wall clock): {fastest}," in text


EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)> & *a* `b`'


def test_strings_from_the_data_are_escaped(experiment, tmp_path):
    """A model label and an experiment name full of markup come out as text."""
    copy = tmp_path / "evil"
    shutil.copytree(experiment, copy)
    for name in ("results.csv", "summary.csv"):
        with open(copy / name, newline="") as f:
            rows = list(csv.DictReader(f))
        with open(copy / name, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(
                {**r, "model": EVIL if r["model"] == "logreg" else r["model"]} for r in rows
            )
    config_file = read_results(copy).config_file  # config.json, or the runner's spec.json
    config = json.loads((copy / config_file).read_text())
    (copy / config_file).write_text(json.dumps({**config, "name": EVIL}))
    text = write_html_report(copy).read_text(encoding="utf-8")
    assert EVIL not in text and "<script" not in text
    page = Page(text)
    assert not any(tag == "script" for tag, _ in page.tags)
    assert all(src.startswith(PNG) for _, src in page.attributes("src"))
    assert html.escape(EVIL) in text  # in table cells, verbatim
    assert EVIL in "".join(page.text)  # and a reader sees it as written


def test_figures_the_sections_do_not_show_are_shown_at_the_end(experiment, tmp_path):
    """Any other PNG in figures/ is embedded under "More figures"; a directory without
    the accuracy-vs-energy figure (written before it existed) still gets its report."""
    copy = tmp_path / "more"
    shutil.copytree(experiment, copy)
    (copy / "figures" / "accuracy_vs_energy.png").unlink()
    shutil.copy(copy / "figures" / "confusion.png", copy / "figures" / "extra_plot.png")
    page = Page(write_html_report(copy).read_text(encoding="utf-8"))
    assert page.headings == [*SECTIONS[:7], "More figures", *SECTIONS[7:]]
    alts = [attrs["alt"] for tag, attrs in page.tags if tag == "img"]
    assert sorted(alts) == ["accuracy", "confusion", "extra_plot"]


def test_what_is_not_an_experiment_directory_is_named(experiment, tmp_path):
    copy = tmp_path / "incomplete"
    shutil.copytree(experiment, copy)
    (copy / "summary.csv").unlink()
    with pytest.raises(FileNotFoundError, match="lacks summary.csv"):
        write_html_report(copy)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_html_report(tmp_path / "nowhere")
    shutil.copy(experiment / "summary.csv", copy / "summary.csv")
    with open(copy / "summary.csv", "a") as f:  # a sweep overview: two rows for a model
        f.write((experiment / "summary.csv").read_text().splitlines()[1] + "\n")
    with pytest.raises(ValueError, match="several rows for mlp"):
        write_html_report(copy)


def test_cli_report_writes_the_page_and_names_a_missing_directory(experiment, tmp_path, capsys):
    from compare.cli import main

    copy = tmp_path / "copy"
    shutil.copytree(experiment, copy)
    (copy / "report.html").unlink()
    assert main(["report", str(copy)]) == 0
    assert capsys.readouterr().out.strip() == str(copy / "report.html")
    assert (copy / "report.html").read_text().startswith("<!DOCTYPE html>")
    assert main(["report", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err


# --- in a real browser ------------------------------------------------------------------

WINDOW = (1200, 3000)

CONSOLE = re.compile(
    r'CONSOLE[^\]]*\] "(?P<message>.*)", source: (?P<source>.*) \((?P<line>\d+)\)$'
)
"""A console message as headless chromium logs it with ``--enable-logging=stderr``:
``[...:INFO:CONSOLE:12] "text", source: file:///.../report.html (12)``."""

CHECK = """<script>
window.addEventListener("load", () => {
  const images = [...document.images].map(i => ({
    ok: i.complete && i.naturalWidth > 0, width: i.naturalWidth,
    top: i.getBoundingClientRect().top + window.scrollY, left: i.getBoundingClientRect().left,
    shownWidth: i.getBoundingClientRect().width, shownHeight: i.getBoundingClientRect().height,
  }));
  console.log("spikearena-check " + JSON.stringify(images));
});
</script>"""
"""Injected into a copy of the page (without its no-script policy): reports, through
the console, whether each image decoded and where it is drawn."""


def _chromium() -> str | None:
    names = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
    return next((path for path in map(shutil.which, names) if path), None)


def _browse(binary: str, page: Path, profile: Path, *options: str) -> list[str]:
    """Load ``page`` in headless chromium; return the console messages it logged."""
    done = subprocess.run(
        [
            binary,
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            f"--user-data-dir={profile}",
            f"--window-size={WINDOW[0]},{WINDOW[1]}",
            *options,
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return [m["message"] for m in map(CONSOLE.search, done.stderr.splitlines()) if m]


def test_page_renders_in_headless_chromium_without_console_errors(experiment, tmp_path):
    binary = _chromium()
    if binary is None:
        pytest.skip("no chromium binary on PATH (Debian: apt-get install chromium)")
    page = experiment / "report.html"
    text = page.read_text(encoding="utf-8")
    figures = sorted((experiment / "figures").glob("*.png"))

    # 1. A copy with a check script: every image decodes, at its own size, and where it
    #    is drawn. It also shows that console messages are read from chromium's log.
    checked = tmp_path / "checked.html"
    unlocked = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text)
    checked.write_text(unlocked.replace("</body>", CHECK + "\n</body>"), encoding="utf-8")
    messages = _browse(binary, checked, tmp_path / "profile-check", "--dump-dom")
    [report] = [m for m in messages if m.startswith("spikearena-check ")]
    images = json.loads(report.removeprefix("spikearena-check "))
    assert len(images) == len(figures)
    assert all(image["ok"] for image in images), images
    widths = sorted(matplotlib.image.imread(p).shape[1] for p in figures)
    assert sorted(image["width"] for image in images) == widths

    # 2. The page itself: no console message at all (it has no scripts, so anything
    #    logged is an error: a refused resource, a failed decode), and a screenshot.
    shot = tmp_path / "report.png"
    messages = _browse(binary, page, tmp_path / "profile", f"--screenshot={shot}")
    assert messages == []
    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (WINDOW[1], WINDOW[0])
    rgb = np.round(255 * pixels[..., :3]).astype(np.uint8).reshape(-1, 3)
    assert len(np.unique(rgb, axis=0)) > 1000  # text, tables and figures, not a blank page
    # every figure drawn within the screenshot shows up in it: many colours, not white
    seen = 0
    for image in images:
        top, left = round(image["top"]), round(image["left"])
        bottom = top + round(image["shownHeight"])
        if bottom > WINDOW[1]:
            continue
        region = pixels[top:bottom, left : left + round(image["shownWidth"]), :3]
        colours = np.unique(np.round(255 * region).astype(np.uint8).reshape(-1, 3), axis=0)
        assert len(colours) > 50
        assert np.mean(region.min(axis=-1) > 0.97) < 0.95  # not (almost) all white
        seen += 1
    assert seen >= 1  # the accuracy figure is near the top

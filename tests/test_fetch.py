"""`spikearena data fetch` / `data list` (compare.data.fetch), against servers on 127.0.0.1 only.

Each test serves small generated IDX files (or, where Debian's package is installed,
the real Fashion-MNIST files) from a ThreadingHTTPServer in a thread; nothing touches
the internet. A DataSet record built from the generated files' digests stands in for
the catalog's, so the fetcher expects exactly what is served.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from compare.cli import main
from compare.data import catalog
from compare.data.catalog import DataFile, DataSet
from compare.data.fetch import PACKAGED, FetchError, base_urls, fetch
from compare.data.tasks import load_mnist, task_identity, write_idx

N_TRAIN, N_TEST, SIDE = 12, 5, 4
DEBIAN_DIR = catalog.FASHION_MNIST.system_dirs[0]


@pytest.fixture(autouse=True)
def no_data_env(monkeypatch, tmp_path):
    """No $SPIKEARENA_DATA(_PATH, _URLS), and an empty user data directory."""
    for name in ("SPIKEARENA_DATA", "SPIKEARENA_DATA_PATH", "SPIKEARENA_DATA_URLS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


def idx_archives(directory: Path, seed: int = 0) -> dict[str, bytes]:
    """The four MNIST-style .gz files (tiny: SIDE x SIDE images) by name, made in
    ``directory`` with write_idx."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (N_TRAIN, SIDE, SIDE), dtype=np.uint8),
        "train-labels-idx1-ubyte": (np.arange(N_TRAIN, dtype=np.uint8) + seed) % 10,
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (N_TEST, SIDE, SIDE), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": (np.arange(N_TEST, dtype=np.uint8) + seed) % 10,
    }
    directory.mkdir(parents=True, exist_ok=True)
    for stem, array in arrays.items():
        write_idx(directory / f"{stem}.gz", array)
    return {f"{stem}.gz": (directory / f"{stem}.gz").read_bytes() for stem in arrays}


def record_for(archives: dict[str, bytes], name: str = "mnist") -> DataSet:
    """A catalog record whose pinned digests are those of ``archives``."""
    files = tuple(
        DataFile(file, hashlib.sha256(data).hexdigest(), len(data))
        for file, data in archives.items()
    )
    return DataSet(name=name, title="test data", files=files, sha256="0" * 64)


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.files``; a name in ``server.truncated`` is cut off half way."""

    def do_GET(self):
        name = self.path.lstrip("/")
        self.server.requests.append(name)
        body = self.server.files.get(name)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if name in self.server.truncated:
            body = body[: len(body) // 2]
        self.wfile.write(body)
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def serve():
    """``serve(files, truncated=())`` -> a running server on 127.0.0.1 (its ``.url``,
    ``.requests``); every server is shut down after the test."""
    running = []

    def start(files: dict[str, bytes], truncated=()):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.files, server.truncated, server.requests = dict(files), set(truncated), []
        server.url = f"http://127.0.0.1:{server.server_address[1]}/"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        running.append((server, thread))
        return server

    yield start
    for server, thread in running:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def closed_url():
    """A URL on 127.0.0.1 where nothing listens (a port bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def entries(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


# --------------------------------------------------------------------------- fetch


def test_fetch_writes_verified_files_that_load(tmp_path, serve):
    archives = idx_archives(tmp_path / "made")
    server = serve(archives)
    target = fetch(record_for(archives), tmp_path / "data", urls=[server.url], progress=False)
    assert target == tmp_path / "data"
    assert entries(target) == sorted(archives)  # no staging directory left behind
    for name, data in archives.items():
        assert (target / name).read_bytes() == data
    task = load_mnist(data_dir=target)
    assert (task.n_train, task.n_test, task.shape) == (N_TRAIN, N_TEST, (SIDE, SIDE))


def test_default_target_is_under_spikearena_data_where_the_loaders_look(
    tmp_path, serve, monkeypatch
):
    archives = idx_archives(tmp_path / "made")
    server = serve(archives)
    monkeypatch.setenv("SPIKEARENA_DATA", str(tmp_path / "root"))
    monkeypatch.setenv("SPIKEARENA_DATA_URLS", server.url)
    assert fetch(record_for(archives), progress=False) == tmp_path / "root" / "mnist"
    task = load_mnist()
    assert task.n_train == N_TRAIN
    assert str(tmp_path / "root" / "mnist") in task.source


def test_cli_fetch_of_wrong_content_is_a_checksum_mismatch(tmp_path, serve, monkeypatch, capsys):
    # the real fashion-mnist record, served files with the right names and wrong bytes
    archives = idx_archives(tmp_path / "made")
    server = serve(archives)
    monkeypatch.setenv("SPIKEARENA_DATA_URLS", server.url)
    target = tmp_path / "fm"
    assert main(["-q", "data", "fetch", "fashion-mnist", "--to", str(target)]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    first = catalog.FASHION_MNIST.files[0]
    served = hashlib.sha256(archives[first.name]).hexdigest()
    for part in ("checksum mismatch", first.name, first.sha256, served, server.url):
        assert part in err
    assert not target.exists()


def test_unknown_name_lists_the_data_sets(capsys):
    with pytest.raises(ValueError, match="fashion-mnist, mnist"):
        fetch("nope")
    assert main(["data", "fetch", "nope"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "'nope'" in err and "fashion-mnist, mnist" in err


def test_no_network_names_the_url(tmp_path, closed_url):
    archives = idx_archives(tmp_path / "made")
    target = tmp_path / "data"
    with pytest.raises(FetchError) as info:
        fetch(record_for(archives), target, urls=[closed_url], progress=False)
    message = str(info.value)
    assert f"{closed_url}train-images-idx3-ubyte.gz: connection refused" in message
    assert not target.exists()


def test_checksum_mismatch_names_file_and_digests_and_leaves_nothing(tmp_path, serve):
    archives = idx_archives(tmp_path / "made")
    record = record_for(archives)
    name = "train-images-idx3-ubyte.gz"
    served = dict(archives, **{name: archives["t10k-images-idx3-ubyte.gz"]})
    server = serve(served)
    target = tmp_path / "data"
    target.mkdir()
    with pytest.raises(FetchError) as info:
        fetch(record, target, urls=[server.url], progress=False)
    message = str(info.value)
    expected = record.files[0].sha256
    got = hashlib.sha256(served[name]).hexdigest()
    assert f"checksum mismatch for {name}: expected SHA-256 {expected}, got {got}" in message
    assert entries(target) == []


def test_a_download_cut_off_half_way_leaves_nothing(tmp_path, serve):
    archives = idx_archives(tmp_path / "made")
    server = serve(archives, truncated={"train-images-idx3-ubyte.gz"})
    target = tmp_path / "data"
    with pytest.raises(FetchError, match="truncated: the server announced"):
        fetch(record_for(archives), target, urls=[server.url], progress=False)
    assert not target.exists()


@pytest.mark.parametrize("first", ["refused", "404", "wrong bytes", "truncated"])
def test_a_failing_first_mirror_falls_back_to_the_second(tmp_path, serve, closed_url, first):
    archives = idx_archives(tmp_path / "made")
    if first == "refused":
        bad = closed_url
    elif first == "404":
        bad = serve({}).url
    elif first == "wrong bytes":
        bad = serve(idx_archives(tmp_path / "other", seed=1)).url
    else:
        bad = serve(archives, truncated=set(archives)).url
    good = serve(archives)
    target = fetch(record_for(archives), tmp_path / "data", urls=[bad, good.url], progress=False)
    assert entries(target) == sorted(archives)
    assert sorted(good.requests) == sorted(archives)


@pytest.mark.parametrize("layout", ["under a file", "is a file"])
def test_an_unwritable_target_fails_before_downloading(tmp_path, serve, layout):
    # tests run as root, which chmod does not stop: a regular file is in the way instead
    archives = idx_archives(tmp_path / "made")
    server = serve(archives)
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a directory")
    target = blocker / "data" if layout == "under a file" else blocker
    with pytest.raises(FetchError, match=f"{blocker} is a file|it is a file"):
        fetch(record_for(archives), target, urls=[server.url], progress=False)
    assert server.requests == []
    assert blocker.read_text() == "not a directory"


def test_verified_files_are_not_downloaded_again(tmp_path, serve, capsys):
    archives = idx_archives(tmp_path / "made")
    record = record_for(archives)
    server = serve(archives)
    target = tmp_path / "data"
    fetch(record, target, urls=[server.url], progress=False)
    assert len(server.requests) == 4
    (target / "t10k-labels-idx1-ubyte.gz").unlink()
    fetch(record, target, urls=[server.url], progress=False)
    assert server.requests[4:] == ["t10k-labels-idx1-ubyte.gz"]
    fetch(record, target, urls=[server.url], progress=False, force=True)
    assert len(server.requests) == 9


def test_a_foreign_file_in_the_target_needs_force(tmp_path, serve):
    archives = idx_archives(tmp_path / "made")
    record = record_for(archives)
    server = serve(archives)
    target = tmp_path / "data"
    target.mkdir()
    (target / "train-images-idx3-ubyte").write_bytes(b"someone's own images")
    with pytest.raises(FetchError, match="not a recognised copy.*--force"):
        fetch(record, target, urls=[server.url], progress=False)
    assert server.requests == []
    fetch(record, target, urls=[server.url], progress=False, force=True)
    assert entries(target) == sorted(archives)  # the plain twin would shadow the .gz


def test_data_urls_env_is_split_on_whitespace_and_pathsep(monkeypatch):
    urls = ["http://a:8000/x/", "https://b/", "file:///srv/mirror/"]
    text = f"{urls[0]}{os.pathsep}{urls[1]}\n {urls[2]}"
    monkeypatch.setenv("SPIKEARENA_DATA_URLS", text)
    assert base_urls(catalog.MNIST) == urls
    monkeypatch.setenv("SPIKEARENA_DATA_URLS", "mirror.example.org/mnist")
    with pytest.raises(ValueError, match="SPIKEARENA_DATA_URLS: 'mirror.example.org/mnist'"):
        base_urls(catalog.MNIST)
    monkeypatch.setenv("SPIKEARENA_DATA_URLS", " ")
    assert base_urls(catalog.MNIST) == list(catalog.MNIST.urls)


@pytest.mark.skipif(not DEBIAN_DIR.is_dir(), reason="needs Debian's dataset-fashion-mnist")
def test_cli_fetches_real_fashion_mnist_where_the_loaders_find_it(
    tmp_path, serve, monkeypatch, capsys
):
    files = {f.name: (DEBIAN_DIR / f.name).read_bytes() for f in catalog.FASHION_MNIST.files}
    server = serve(files)
    monkeypatch.setenv("SPIKEARENA_DATA", str(tmp_path))
    monkeypatch.setenv("SPIKEARENA_DATA_URLS", server.url)
    assert main(["-q", "data", "fetch", "fashion-mnist"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "fashion-mnist")
    found, _ = catalog.locate(catalog.FASHION_MNIST)
    assert found[0].parent == tmp_path / "fashion-mnist"  # before Debian's directory
    assert task_identity("fashion-mnist") == catalog.FASHION_MNIST.sha256


# --------------------------------------------------------------------------- list


def test_data_list_shows_each_data_set_where_it_is_and_its_checksums(tmp_path, monkeypatch, capsys):
    empty, full = tmp_path / "empty", tmp_path / "full"
    (full / "mnist").mkdir(parents=True)
    for name, data in idx_archives(tmp_path / "made").items():
        (full / "mnist" / name).write_bytes(data)  # not MNIST's files: they do not match
    monkeypatch.setenv("SPIKEARENA_DATA_PATH", f"{empty}{os.pathsep}{full}")
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    for name in [*catalog.DATASETS, *(p.name for p in PACKAGED)]:
        assert f"\n{name}: " in f"\n{out}"
    fashion, mnist = out.split("\n\nmnist: ")[0], out.split("\n\nmnist: ")[1].split("\n\n")[0]
    assert "found: no; `spikearena data fetch fashion-mnist` downloads it" in fashion
    assert f"{empty / 'fashion-mnist'}: directory does not exist" in fashion
    assert f"found: {full / 'mnist'} (not the pinned files" in mnist
    assert f"{full / 'mnist'}: found" in mnist
    for record, text in ((catalog.FASHION_MNIST, fashion), (catalog.MNIST, mnist)):
        for file in record.files:
            assert f"{file.name} ({file.size:,} bytes): {file.sha256}" in text
            assert all(digest in text for digest in file.other_sha256)
    assert mnist.count("DOES NOT MATCH") == 4


@pytest.mark.skipif(not DEBIAN_DIR.is_dir(), reason="needs Debian's dataset-fashion-mnist")
def test_data_list_recognises_debians_copy(monkeypatch, capsys):
    monkeypatch.setenv("SPIKEARENA_DATA_PATH", str(DEBIAN_DIR.parent))
    assert main(["data", "list"]) == 0
    fashion = capsys.readouterr().out.split("\n\nmnist: ")[0]
    assert (
        f"found: {DEBIAN_DIR} (a recognised copy; task sha256 {catalog.FASHION_MNIST.sha256})"
        in fashion
    )
    assert fashion.count("matches (a known copy)") == 4

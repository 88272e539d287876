"""``python -m compare`` is the ``spikearena`` command."""

from compare.cli import main

if __name__ == "__main__":
    raise SystemExit(main())

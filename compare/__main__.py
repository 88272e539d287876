"""``python -m compare`` is the ``spikearena`` command."""

from compare.cli import main

raise SystemExit(main())

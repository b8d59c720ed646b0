"""``python -m brainmass_fn``: the same as the ``brainmass-fn`` command."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())

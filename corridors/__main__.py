"""``python -m corridors``: the command line."""

from corridors.cli import main

if __name__ == "__main__":
    main()

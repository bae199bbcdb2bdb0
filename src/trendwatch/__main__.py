"""``python -m trendwatch``: the command line, for environments without the script on PATH."""

from trendwatch.cli import main

if __name__ == "__main__":
    main()

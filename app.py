"""Run the participant app: ``python app.py [--source 0|VIDEO] [--port N]``.

The same as ``escape-home run``; see ``escape-home run --help``.
"""

from __future__ import annotations

import sys

from escape_home.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", *sys.argv[1:]]))

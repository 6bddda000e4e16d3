#!/usr/bin/env python
"""Django's command-line utility (the ``scorehub`` console command does the same and more)."""

import sys

from scorehub.cli import main

if __name__ == "__main__":
    main(sys.argv)

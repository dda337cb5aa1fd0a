"""`python -m etl` runs the same CLI as `mscwatch`."""

from etl.cli import main

main()

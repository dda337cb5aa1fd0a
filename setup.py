"""The package list: every package under etl/, plus the top-level templates/ folder installed as
etl/templates, so the templates sit where the project's layout shows them (beside etl/, config/)
and still travel inside the wheel. Everything else is in pyproject.toml."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["etl", "etl.*"]), "etl.templates"],
    package_dir={"etl.templates": "templates"},
)

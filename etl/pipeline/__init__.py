"""Stages that move records from sources into the database."""

"""MSC oncology literature watch."""

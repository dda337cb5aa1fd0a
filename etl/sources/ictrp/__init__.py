"""WHO ICTRP source: the portal's "Export results to XML" files parsed into trial records."""

"""crescent-cli's modules: the dump file format and the progress display."""

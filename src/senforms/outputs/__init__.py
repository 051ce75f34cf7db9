"""What every stage uses to write results: atomic writes, safe file names, the manifest, spreadsheet-safe cells."""

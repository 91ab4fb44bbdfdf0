"""People's own ratings: profile names, matching an export to the catalogue, import and export."""

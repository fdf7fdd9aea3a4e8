"""Evidence in: raw-input tables (and, later, registers) read with located errors."""

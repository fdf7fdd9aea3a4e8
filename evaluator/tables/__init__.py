"""Tables people hand in: files, encodings and sheets read into frames (``read``)."""

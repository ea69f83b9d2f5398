"""File containers: uploaded files whose bytes live in the BlobStore (issue 3)."""

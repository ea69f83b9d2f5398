"""Client side of a registry server's `/api/models`: sync, export and import of entry folders."""

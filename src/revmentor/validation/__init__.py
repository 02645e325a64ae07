"""Reading and checking what sites send: the registry, readers and pandera schemas."""

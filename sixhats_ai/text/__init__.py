"""The user's text: reading files, making it safe for a prompt, splitting and sizing it."""

"""Protocol emulators for services the tests cannot reach."""

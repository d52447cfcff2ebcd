"""The command line: thin commands over spec, engine and render; one error boundary."""

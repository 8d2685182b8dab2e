"""HTTP routes: thin; they check access, call a service function and shape the reply."""

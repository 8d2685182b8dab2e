"""File adapters: policy TOML, area CSV directories, GIAS imports, allocation outputs."""

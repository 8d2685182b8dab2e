"""File adapters: policy TOML, area CSV directories, GIAS and SEN2 imports, allocation outputs.

By layer, each module importing only those before it: ``errors``; ``csv_reader`` (CSV rows that
know their line, cell parsers), ``toml_writer``, ``area_format`` (an area folder's files and
columns), ``policy_files`` (``models/`` and an area's ``policy.toml``); ``outputs`` (atomic
writes, allocations out and back); ``area_reader`` and ``area_writer``; the imports: ``gias``,
``postcodes``, ``sen2_return`` (reading a SEN2 return), ``sen2`` (its children), ``rehome``,
``sen2_synth`` (a synthetic return, for tests) and ``imports`` (their reports).
"""

"""Tests of the ground floor: errors, i18n and the catalogs, fsutil, yamlsource, config, resources."""

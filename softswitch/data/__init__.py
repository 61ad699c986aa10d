"""Files shipped with the package: the default configuration template."""

"""Local audiobook files: inspection (mutagen), folder-name parsing, merged metadata view,
and tracker path compliance. Pure: no network, no click, no rich."""

"""Dialogs: ``new_project.NewProjectDialog`` (produces a ``NewProjectSpec``)."""

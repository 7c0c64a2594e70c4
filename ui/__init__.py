"""PySide6 desktop application (the windows people use all day)."""

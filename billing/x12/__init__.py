"""ASC X12 5010 files, written (837P; the sandbox clearinghouse's 999, 277CA and 835) and read
(999, 277CA/277, 835). Pure: text in, plain objects out, and back."""

"""What PracOps sends: 837P files of scrubbed claims, written, validated and sent to a
clearinghouse once, and what the 999 said of each."""

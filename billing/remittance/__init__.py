"""What comes back from clearinghouses and payers: the X12 files received (999, 277CA, 277,
835), kept whole and read once, and the remittances posted from 835s to claims and lines."""

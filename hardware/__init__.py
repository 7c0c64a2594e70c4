"""NFC readers behind one small interface: nfcpy (USB), PC/SC, simulated NTAG21x."""

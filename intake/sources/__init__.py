"""Reading the files analysts have in hand, whatever their layout: shared by every source."""

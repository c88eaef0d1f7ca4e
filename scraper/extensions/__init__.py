"""Extensions of the news archiver."""

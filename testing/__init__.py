"""The course's autograder, its command line and its tests."""

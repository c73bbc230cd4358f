"""The grading engine: hidden tests never share a process with student code.

Importing this package imports neither nbgrader nor TensorFlow; its modules import them where
they need them.
"""

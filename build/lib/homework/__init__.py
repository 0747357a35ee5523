"""Homework tooling for instructors: student editions and autograding of the chapter notebooks.

The chapter notebooks are written in nbgrader's cell-metadata format, so one notebook is the book
page, the nbval test input and the instructor's source. This package is the glue around
nbgrader's own machinery:

* ``python -m homework student`` — student editions (nbgrader's preprocessors, in process);
* ``python -m homework grade SUBMISSIONS`` — autograding with the real ``nbgrader autograde``,
  one throw-away course folder per student, a CSV of points and per-student feedback.
"""
from .config import CODE_STUB, COURSE_CONFIG, course_config
from .grade import GradeResult, grade_submissions
from .student import make_student_edition, student_editions

__all__ = ["CODE_STUB", "COURSE_CONFIG", "course_config", "GradeResult", "grade_submissions",
           "make_student_edition", "student_editions"]

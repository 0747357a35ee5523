"""Homework tooling for instructors: student editions and autograding of the chapter notebooks.

The chapter notebooks are written in nbgrader's cell-metadata format, so one notebook is the book
page, the nbval test input and the instructor's source.

* ``python -m homework student`` — student editions (nbgrader's own preprocessors, in process);
* ``python -m homework grade SUBMISSIONS`` — autograding that a student cannot fool: the
  student's notebook runs in a sandboxed kernel (:mod:`.sandbox`, :mod:`.kernel`), the
  instructor's chapter and test cells run in a trusted process (:mod:`.trusted`), and the two
  exchange plain data only (:mod:`.channel`); :mod:`.grade` runs the jobs and writes
  ``grades.csv`` and feedback pages without test source. nbgrader's ``autograde`` is not used:
  it runs the checks inside the student's kernel, where a student can replace them.
"""
from .config import CODE_STUB, COURSE_CONFIG, course_config
from .grade import GradeResult, grade_job, grade_submissions
from .student import make_student_edition, student_editions

__all__ = ["CODE_STUB", "COURSE_CONFIG", "course_config", "GradeResult", "grade_job", "grade_submissions",
           "make_student_edition", "student_editions"]

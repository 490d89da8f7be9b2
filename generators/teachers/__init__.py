"""Teachers: the LLMs behind generation, how their cost is counted, the local server, and distilabel glue.

    from generators.teachers import resolve_teacher
    teacher = resolve_teacher("local")       # or openai:<model>, anthropic:<model>, openrouter:<model>, http://h:p/v1@m
"""

from generators.teachers.teacher import Reply, Teacher, TeacherError, resolve_teacher

__all__ = ["Reply", "Teacher", "TeacherError", "resolve_teacher"]

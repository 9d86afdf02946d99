from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    name = "domus.attendance"
    label = "attendance"
    verbose_name = "Attendance"

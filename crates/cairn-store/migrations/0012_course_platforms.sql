-- Courses that live on a course platform (Thinkific, Teachable): the
-- account that holds the course and the course's id there. A course with no
-- account stays local ("recorded in Cairn only").
ALTER TABLE courses ADD COLUMN account TEXT COLLATE NOCASE;
ALTER TABLE courses ADD COLUMN platform_course_id TEXT;

-- What the platform answered when it enrolled the contact: its user and
-- enrollment ids, so progress polled later finds the contact again.
ALTER TABLE enrollments ADD COLUMN platform_user_id TEXT;
ALTER TABLE enrollments ADD COLUMN platform_enrollment_id TEXT;
CREATE INDEX enrollments_platform_user ON enrollments(course_id, platform_user_id)
  WHERE platform_user_id IS NOT NULL;

/**
 * Autograded coursework in nbgrader's steps (source → release → submitted → graded → feedback)
 * with Otter's rule that the solution passes every test before release, and CS231n's layout:
 * students complete a small TypeScript module that the assignment notebook imports.
 * @packageDocumentation
 */
export { NOT_IMPLEMENTED, hasMarker, stripHiddenTests, stripSolutions } from './markers.js';
export type { MarkedText } from './markers.js';
export { findAssignments, readAssignment } from './spec.js';
export type { AssignmentSpec } from './spec.js';
export { planAssignment, planTest, runTests } from './runner.js';
export type { PlannedTest, RunLimits, TestResult } from './runner.js';
export { releaseAssignment, scanRelease } from './release.js';
export type { ReleaseOptions, ReleaseReport } from './release.js';
export { feedbackText, gradeSubmissions } from './grade.js';
export type { GradeOptions, GradedSubmission } from './grade.js';

// The Email templates screen: every workflow's templates with a live preview.
export { EmailTemplatesPage } from "./EmailTemplatesPage";

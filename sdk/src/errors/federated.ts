import { ShoalError } from "./base.js";

/** A spec template's placeholders are missing, repeated or out of order. */
export class InvalidSpecTemplateError extends ShoalError {
  constructor({ reason }: { reason: string }) {
    super(`Invalid spec template: ${reason}.`, {
      metaMessages: ["Name input jobs with templateHole(0), templateHole(1), … in the order the inputs list them."],
      docsPath: "docs/ml.md#the-coordinator-contract",
      name: "InvalidSpecTemplateError",
    });
  }
}
export type InvalidSpecTemplateErrorType = InvalidSpecTemplateError & { name: "InvalidSpecTemplateError" };

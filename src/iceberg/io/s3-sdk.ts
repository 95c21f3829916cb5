import type * as S3Sdk from "@aws-sdk/client-s3";
import { lazyModule } from "./lazy-module.js";

/** The AWS SDK's S3 module, loaded when the first S3FileIO or client is made. */
export const s3Sdk = lazyModule<typeof S3Sdk>("@aws-sdk/client-s3");

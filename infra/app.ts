/** The CDK app `cdk.json` runs. Everything lives in `buildApp` so tests synthesize the same app. */
import { buildApp } from './build-app';

buildApp().app.synth();

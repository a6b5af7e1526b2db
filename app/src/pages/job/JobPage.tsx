export default function JobPage({ jobId }: { jobId: bigint }) {
  return <h1>Job {jobId.toString()}</h1>;
}

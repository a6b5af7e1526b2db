import { href, type Route } from "../lib/router";
import { useShoalChain } from "../lib/config";

const LINKS = [
  { page: "home", label: "Jobs", to: href.home },
  { page: "newJob", label: "New job", to: href.newJob },
  { page: "providers", label: "Providers", to: href.providers },
  { page: "account", label: "My jobs", to: href.account },
  { page: "training", label: "Training", to: href.training() },
] as const;

export function Nav({ route }: { route: Route }) {
  // Training runs are listed only where a coordinator is configured.
  const training = (useShoalChain()?.contracts?.federated ?? []).length > 0;
  return (
    <nav aria-label="Main">
      <ul>
        {LINKS.filter((l) => l.page !== "training" || training).map((l) => (
          <li key={l.page}>
            <a href={l.to} aria-current={route.page === l.page || (l.page === "home" && route.page === "job") ? "page" : undefined}>
              {l.label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

import { Link } from "@remix-run/react";
import type { ReactNode } from "react";
import { PostForm } from "./post-form";

export interface FrameIdentity {
  displayName: string;
  agencyName: string;
  roleLabel: string;
  /** How many of the person's notifications are unread. */
  unreadNotifications: number;
}

export interface NavigationItem {
  href: string;
  label: string;
}

/** GOV.UK skip link: the first thing a keyboard user reaches. */
export function SkipLink() {
  return (
    <a href="#main-content" className="govuk-skip-link" data-module="govuk-skip-link">
      Skip to main content
    </a>
  );
}

/** The header: the service's name, the signed-in person and what their role can use. */
export function Header({
  identity,
  navigation,
  currentPath,
}: {
  identity: FrameIdentity | null;
  navigation: NavigationItem[];
  currentPath: string;
}) {
  return (
    <header className="govuk-template__header">
      <div className="govuk-generic-header">
        <div className="govuk-generic-header__container govuk-width-container">
          <div className="govuk-generic-header__logo">
            <Link to={identity ? "/home" : "/"} className="govuk-generic-header__homepage-link">
              Crosswalk
            </Link>
          </div>
        </div>
      </div>
      {identity ? (
        <section aria-label="Service information" className="govuk-service-navigation">
          <div className="govuk-width-container">
            <p className="app-identity govuk-body-s" data-testid="identity">
              Signed in as <strong>{identity.displayName}</strong>, {identity.roleLabel},{" "}
              {identity.agencyName}
            </p>
            <div className="govuk-service-navigation__container">
              <nav aria-label="Menu" className="govuk-service-navigation__wrapper">
                <ul className="govuk-service-navigation__list" id="navigation">
                  {navigation.map((item) => {
                    const current =
                      currentPath === item.href || currentPath.startsWith(`${item.href}/`);
                    return (
                      <li
                        key={item.href}
                        className={`govuk-service-navigation__item${current ? " govuk-service-navigation__item--active" : ""}`}
                      >
                        <Link
                          className="govuk-service-navigation__link"
                          to={item.href}
                          aria-current={current ? "page" : undefined}
                        >
                          {current ? (
                            <strong className="govuk-service-navigation__active-fallback">
                              {item.label}
                            </strong>
                          ) : (
                            item.label
                          )}
                        </Link>
                      </li>
                    );
                  })}
                  <NotificationsItem
                    unread={identity.unreadNotifications}
                    current={currentPath === "/notifications"}
                  />
                  <li
                    className={`govuk-service-navigation__item${currentPath === "/account/sessions" ? " govuk-service-navigation__item--active" : ""}`}
                  >
                    <Link
                      className="govuk-service-navigation__link"
                      to="/account/sessions"
                      aria-current={currentPath === "/account/sessions" ? "page" : undefined}
                    >
                      Your sign-ins
                    </Link>
                  </li>
                  <li className="govuk-service-navigation__item">
                    <PostForm action="/sign-out" className="app-sign-out">
                      <button
                        type="submit"
                        className="app-link-button govuk-service-navigation__link"
                      >
                        Sign out
                      </button>
                    </PostForm>
                  </li>
                </ul>
              </nav>
            </div>
          </div>
        </section>
      ) : null}
    </header>
  );
}

/** The header's link to the person's notifications, with how many are unread. */
function NotificationsItem({ unread, current }: { unread: number; current: boolean }) {
  const label = (
    <>
      Notifications
      {unread > 0 ? (
        <>
          {" "}
          <span className="app-count" data-testid="unread-notifications">
            {unread}
          </span>
          <span className="govuk-visually-hidden"> unread</span>
        </>
      ) : null}
    </>
  );
  return (
    <li
      className={`govuk-service-navigation__item${current ? " govuk-service-navigation__item--active" : ""}`}
    >
      <Link
        className="govuk-service-navigation__link"
        to="/notifications"
        aria-current={current ? "page" : undefined}
      >
        {current ? (
          <strong className="govuk-service-navigation__active-fallback">{label}</strong>
        ) : (
          label
        )}
      </Link>
    </li>
  );
}

/** The footer: what Crosswalk is, and where its access rules are published. */
export function Footer() {
  return (
    <footer className="govuk-footer">
      <div className="govuk-width-container">
        <div className="govuk-footer__meta">
          <div className="govuk-footer__meta-item govuk-footer__meta-item--grow">
            <p className="govuk-body-s govuk-!-margin-bottom-0">
              Crosswalk helps partner agencies keep young people safe from serious violence. Every
              access to a young person&apos;s record is recorded.
            </p>
          </div>
        </div>
      </div>
    </footer>
  );
}

/** The width container and main landmark every page sits in. */
export function Main({ children }: { children: ReactNode }) {
  return (
    <div className="govuk-width-container">
      <main className="govuk-main-wrapper" id="main-content">
        {children}
      </main>
    </div>
  );
}
